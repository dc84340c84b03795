"""Run careshift scenarios from the command line: `python run_scenarios.py --help`."""
from simulation.cli import main
if __name__ == "__main__":  # worker processes (Dask, spawn) import this file: run only as a program
    raise SystemExit(main())
