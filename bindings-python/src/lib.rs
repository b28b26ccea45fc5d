//! Python binding of hivemind-core (to be written).
