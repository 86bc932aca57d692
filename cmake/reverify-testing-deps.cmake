# Consumer-side dependencies of reverify::testing.
find_dependency(Catch2 2)
