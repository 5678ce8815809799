//go:build !linux

package testcluster

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
