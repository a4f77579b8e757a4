module naos.dev/sdk

go 1.21
