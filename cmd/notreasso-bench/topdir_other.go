//go:build !linux

package main

// spreadSubdirs does nothing where folders cannot be flagged (see the Linux one).
func spreadSubdirs(string) {}

// memDir is "" where no tmpfs is known (see the Linux one).
func memDir() string { return "" }
