// Command noop is the exec floor of cmd/mpbench: the smallest Go program,
// built statically. Starting it and waiting for it costs what executing
// any Go binary costs at least: fork, exec, the runtime's start and exit.
package main

func main() {}
