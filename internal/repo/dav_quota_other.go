//go:build !unix

package repo

func freeSpace(string) int64 { return -1 }
