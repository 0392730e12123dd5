"""The tools on the top floor (docs/architecture.md): the demo (`utvei demo`, its story in data/demo.yaml and the
step builders in demo/), synthetic data (`utvei synth`, synthetic.py and synthetic_outcomes.py), the benchmarks
(`utvei bench`, with the bench server's site in benchsite/) and the production server (`utvei serve`).

They use every app; no app imports them."""
