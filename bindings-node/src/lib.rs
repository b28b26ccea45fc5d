//! Node.js binding of hivemind-core (to be written).
