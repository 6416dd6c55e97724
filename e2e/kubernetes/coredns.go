package main

import (
	"github.com/coredns/coredns/coremain"

	// The plugins the local environment's Corefile uses, not CoreDNS's whole list (core/plugin),
	// which would link in the cloud providers' SDKs (route53, azure, clouddns) for nothing. No
	// forward: names outside the cluster domain are not sent anywhere (nothing leaves the machine).
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// CoreDNS's main: flags -conf, -dns.port, ...; it exits the process itself on errors.
func runCoreDNS() int {
	coremain.Run()
	return 0
}
