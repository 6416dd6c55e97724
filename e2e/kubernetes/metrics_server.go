package main

import (
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"sigs.k8s.io/metrics-server/cmd/metrics-server/app"
)

// metrics-server's main (cli.Run does its logs.InitLogs/FlushLogs).
func runMetricsServer() int {
	return cli.Run(app.NewMetricsServerCommand(genericapiserver.SetupSignalHandler()))
}
