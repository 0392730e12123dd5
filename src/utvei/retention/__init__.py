"""The data's whole life: retention rules as data, legal holds, restriction (sperring), anonymisation that keeps the
evidence, crypto-shredding and subject-access requests (DESIGN.md §3 `retention`)."""
