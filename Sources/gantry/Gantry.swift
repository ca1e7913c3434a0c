import ArgumentParser

/// The `gantry` command-line tool.
@main
struct Gantry: AsyncParsableCommand {
    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "gantry",
        abstract: "AgentGantry: tool routing that learns from feedback.",
        discussion: """
            BLAS kernels: OpenBLAS honours OPENBLAS_CORETYPE; set GANTRY_BLAS_KERNELS=best to use \
            the widest kernels this CPU runs instead (see `gantry doctor`).
            """,
        version: version,
        subcommands: [Doctor.self, SelfCheck.self, IndexCommand.self, EmbedCommand.self, TrainCommand.self, EvalCommand.self, ReplayCommand.self, DemoCommand.self, StoreCommand.self, StdioCommand.self, ServeCommand.self, TokenCommand.self, MCPCommand.self]
    )
}
