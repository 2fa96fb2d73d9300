"""The channel sink: available-to-sell and tracking numbers to sales channels (see `sinks.channels.sink`)."""
