"""The science of ODD §7, as pure functions over arrays: update rules (:mod:`sim.rules.dynamics`), decision
rules and the agenda (:mod:`sim.rules.institutions`), scenario events (:mod:`sim.rules.events`) and the
outcomes with their names, labels, units and formats (:mod:`sim.rules.outcomes`)."""
