"""Speed benchmarks of the simulation engine against reference engines (workload HCE-ref v1)."""
