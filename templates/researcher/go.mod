module naos.local/agents/{{name}}

go 1.21

require naos.dev/sdk v0.0.0

// The SDK is copied beside the agent, so this folder builds on its own.
replace naos.dev/sdk => ./sdk
