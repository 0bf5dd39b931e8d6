"""The batched engine: the state of many runs as arrays with a leading run axis, advanced together."""
