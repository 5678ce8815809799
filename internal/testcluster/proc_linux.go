package testcluster

import "syscall"

// sysProcAttr puts etcd and kube-apiserver in their own process group, so a
// Ctrl-C in the terminal reaches only the harness (which then stops them in
// the right order), and kills them if the harness process dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
