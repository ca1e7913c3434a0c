import ArgumentParser
import Foundation
import GantryServer

/// `gantry mcp`: declares the MCP servers whose tools `gantry serve --mcp-stdio --mcp-servers
/// FILE` routes and calls. Only this command (an operator at the host) declares them: a
/// declaration is a command the host runs.
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Declare the MCP servers whose tools AgentGantry routes (a servers file).",
        subcommands: [Add.self, Remove.self, Enable.self, Disable.self, List.self]
    )

    /// The servers file option of every subcommand.
    struct ServersFile: ParsableArguments {
        @Option(help: "The servers file (created by the first `add`).") var servers: String

        func read() throws -> UpstreamDeclarations { try UpstreamDeclarations(contentsOf: servers) }

        func write(_ declarations: UpstreamDeclarations) throws { try declarations.write(to: servers) }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Declare a server: `gantry mcp add NAME --servers FILE [--env K=V]… -- COMMAND [ARGUMENT…]` (replaces one of that name).")

        @Argument(help: "Its name (its tools are registered as NAME__TOOL).") var name: String
        @OptionGroup var file: ServersFile
        @Option(help: "A variable for its environment, K=V (repeatable).") var env: [String] = []
        @Argument(parsing: .postTerminator, help: "The command that starts it, after --.") var command: [String] = []

        func run() throws {
            guard let program = command.first else { throw ValidationError("give the command after --: gantry mcp add \(name) --servers \(file.servers) -- COMMAND [ARGUMENT…]") }
            var variables = [String: String]()
            for pair in env {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else { throw ValidationError("--env takes K=V, not \(pair)") }
                variables[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            var declarations = try file.read()
            let server = UpstreamDeclarations.Server(name: name, command: program, args: Array(command.dropFirst()), env: variables)
            if let i = declarations.servers.firstIndex(where: { $0.name == name }) { declarations.servers[i] = server } else { declarations.servers.append(server) }
            try declarations.check()
            try file.write(declarations)
            print("declared \(name): \(command.joined(separator: " "))")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a server's declaration.")
        @Argument(help: "Its name.") var name: String
        @OptionGroup var file: ServersFile

        func run() throws {
            var declarations = try file.read()
            guard declarations.servers.contains(where: { $0.name == name }) else { throw ValidationError("no server \(name) in \(file.servers)") }
            declarations.servers.removeAll { $0.name == name }
            try file.write(declarations)
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a declared server again (with the next start of the router).")
        @Argument(help: "Its name.") var name: String
        @OptionGroup var file: ServersFile

        func run() throws { try MCPCommand.set(name, enabled: true, in: file) }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a declared server stopped (with the next start of the router).")
        @Argument(help: "Its name.") var name: String
        @OptionGroup var file: ServersFile

        func run() throws { try MCPCommand.set(name, enabled: false, in: file) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the declared servers.")
        @OptionGroup var file: ServersFile

        func run() throws {
            for server in try file.read().servers {
                print("\(server.name)\t\(server.enabled ? "enabled" : "disabled")\t\(([server.command] + server.args).joined(separator: " "))")
            }
        }
    }

    static func set(_ name: String, enabled: Bool, in file: ServersFile) throws {
        var declarations = try file.read()
        guard let i = declarations.servers.firstIndex(where: { $0.name == name }) else { throw ValidationError("no server \(name) in \(file.servers)") }
        declarations.servers[i].enabled = enabled
        try file.write(declarations)
    }
}
