//go:build !linux

package engine

func setSubreaper() {}
