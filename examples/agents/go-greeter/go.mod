module naos.dev/examples/go-greeter

go 1.21

require naos.dev/sdk v0.0.0

replace naos.dev/sdk => ../../../sdk/go
