// swift-tools-version: 6.1
// Reliability harnesses in their own package (like Benchmarks/), so users of AgentGantry never
// build them: libFuzzer targets for every loader of outside bytes, a SIGKILL crash-safety
// harness, a soak test and a fleet of processes on one store. `Reliability/run.sh` builds and
// runs them (see RELIABILITY.md).
import PackageDescription

let package = Package(
    name: "AgentGantryReliability",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "AgentGantry", path: ".."),
    ],
    targets: [
        // Built twice by run.sh: with `-sanitize=fuzzer,address -DFUZZING` (libFuzzer supplies
        // main) and plainly, which gives a main that writes seed corpora and replays inputs.
        .executableTarget(
            name: "GantryFuzz",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryAdapt", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryEval", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryIO", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ]
        ),
        .executableTarget(
            name: "CrashHarness",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryAdapt", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ]
        ),
        // Built against this checkout here, and against the newest release by run.sh (the same
        // main.swift): one AgentGantry process of either version on one store.
        .executableTarget(
            name: "UpgradeWorker",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryAdapt", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ]
        ),
        .executableTarget(
            name: "Soak",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                "HeapUsage",
            ]
        ),
        // The soak's memory bound: bytes allocated and not freed (glibc mallinfo2).
        .target(name: "HeapUsage"),
        .executableTarget(
            name: "Fleet",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ]
        ),
    ]
)
