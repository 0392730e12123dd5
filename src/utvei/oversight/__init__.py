"""The data protection officer's pages over the audit log: search and export of events, "who has seen this
person", the chain's verification. A domain-floor package: it asks `access` and reads the domain's models; the
log itself (`utvei.audit`) is on the floor below every app that writes to it."""
