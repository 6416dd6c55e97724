package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

// etcd's own main (etcdmain wraps go.etcd.io/etcd/server/v3/embed with the real etcd flags).
// It exits the process itself.
func runEtcd() int {
	etcdmain.Main(os.Args)
	return 0
}
