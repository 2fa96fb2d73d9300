"""The application: the `supplystream` command line, the demo and the operators' tools, on top of the
roles (producers, processors, sinks) and the core (`supplystream`)."""
