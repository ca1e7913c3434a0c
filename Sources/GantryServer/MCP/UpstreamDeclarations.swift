import AgentGantry
import Foundation
import GantryIO

/// The MCP servers whose tools AgentGantry routes, as an operator declared them: a JSON file
/// (`{"servers": [{"name", "command", "args"?, "env"?, "enabled"?}]}`) read at start, written by
/// `gantry mcp add` and `gantry mcp remove`. Never taken from an HTTP or MCP caller: a
/// declaration is a command this host runs.
public struct UpstreamDeclarations: Sendable, Equatable {
    /// One declared server: a command started with its arguments and environment, spoken to over
    /// its standard input and output.
    public struct Server: Sendable, Equatable, Codable {
        /// Its name: 1 to 32 of a-z, 0-9, `_` and `-`, without `__`; its tools are registered
        /// as `<name>__<tool>`.
        public var name: String
        /// The program (a path, or a name found on `PATH`).
        public var command: String
        /// Its arguments.
        public var args: [String]
        /// Variables added to the environment it inherits.
        public var env: [String: String]
        /// Whether it is started (a disabled server keeps its declaration and its tools' history).
        public var enabled: Bool

        /// A declaration of `name` running `command` with `args`.
        public init(name: String, command: String, args: [String] = [], env: [String: String] = [:], enabled: Bool = true) {
            (self.name, self.command, self.args, self.env, self.enabled) = (name, command, args, env, enabled)
        }

        /// Reads a declaration; `args`, `env` and `enabled` may be left out (none, none, true).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            command = try container.decode(String.self, forKey: .command)
            args = try container.decodeIfPresent([String].self, forKey: .args) ?? []
            env = try container.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
            enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        }
    }

    /// The servers, in the file's order.
    public var servers: [Server]

    /// The separator of a server's name and its tool's in a registered name.
    public static let separator = "__"

    /// `servers`, checked (`check()`).
    public init(servers: [Server]) throws(GantryError) {
        self.servers = servers
        try check()
    }

    /// The declarations in the file at `path`; none when there is no file.
    public init(contentsOf path: String) throws(GantryError) {
        guard FileManager.default.fileExists(atPath: path) else {
            try self.init(servers: [])
            return
        }
        struct File: Decodable { let servers: [Server] }
        do {
            let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            try self.init(servers: file.servers)
        } catch let error as GantryError {
            throw .invalidInput("\(path): \(error.description)")
        } catch {
            throw .invalidInput("\(path) is not a servers file ({\"servers\": [{\"name\", \"command\", \"args\"?, \"env\"?, \"enabled\"?}]}): \(error)")
        }
    }

    /// Writes the declarations to `path` atomically (its folder created when missing).
    public func write(to path: String) throws {
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        struct File: Encodable { let servers: [Server] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try BinaryFile.writeAtomically(Array(try encoder.encode(File(servers: servers))) + Array("\n".utf8), to: path)
    }

    /// Throws naming the first bad name or command, or a name declared twice.
    public func check() throws(GantryError) {
        var seen = Set<String>()
        for server in servers {
            try Self.checkName(server.name)
            guard !server.command.isEmpty else { throw .invalidInput("server \(server.name): the command is empty") }
            guard seen.insert(server.name).inserted else { throw .invalidInput("server \(server.name) is declared twice") }
        }
    }

    /// Throws unless `name` is 1 to 32 of a-z, 0-9, `_` and `-`, without `__` and not ending in `_`.
    public static func checkName(_ name: String) throws(GantryError) {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
        guard (1...32).contains(name.count), allowed, !name.contains(separator), !name.hasSuffix("_") else {
            throw .invalidInput("a server's name is 1 to 32 of a-z, 0-9, _ and -, without \"__\" and not ending in _ (its tools are <name>__<tool>), not \"\(name)\"")
        }
    }

    /// The registered name of `tool` of `server`.
    public static func registeredName(server: String, tool: String) -> String {
        server + separator + tool
    }

    /// The server and tool of a registered name, nil when it names no server's tool.
    public static func split(_ registered: String) -> (server: String, tool: String)? {
        guard let range = registered.range(of: separator) else { return nil }
        let server = String(registered[..<range.lowerBound]), tool = String(registered[range.upperBound...])
        return server.isEmpty || tool.isEmpty ? nil : (server, tool)
    }
}
