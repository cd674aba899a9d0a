"""The model: scenario schema, shopper and store state, the calendar, the schedule of a day, its tables."""
