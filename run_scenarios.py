"""Run careshift scenarios from the command line: `python run_scenarios.py --help`."""
from simulation.cli import main
raise SystemExit(main())
