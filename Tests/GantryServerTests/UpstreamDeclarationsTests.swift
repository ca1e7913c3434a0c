import AgentGantry
import Foundation
@testable import GantryServer
import Testing

@Suite("MCP server declarations")
struct UpstreamDeclarationsTests {
    /// A file written is read back the same; defaults fill what a hand-written file leaves out.
    @Test func aServersFileRoundTrips() throws {
        let path = NSTemporaryDirectory() + "servers-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try UpstreamDeclarations(contentsOf: path).servers.isEmpty)  // no file: none declared
        let declared = try UpstreamDeclarations(servers: [
            .init(name: "github", command: "npx", args: ["-y", "server-github"], env: ["TOKEN": "x"]),
            .init(name: "docs-2", command: "/usr/bin/python3", args: ["docs.py"], enabled: false),
        ])
        try declared.write(to: path)
        #expect(try UpstreamDeclarations(contentsOf: path) == declared)
        try Data(#"{"servers": [{"name": "web", "command": "web-server"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try UpstreamDeclarations(contentsOf: path).servers == [.init(name: "web", command: "web-server")])
    }

    /// Names that would make `<server>__<tool>` ambiguous, empty commands, a name declared twice
    /// and files of another shape are refused with the reason.
    @Test func badDeclarationsAreRefused() throws {
        for name in ["", "Web", "a__b", "web_", "web server", String(repeating: "a", count: 33)] {
            #expect(throws: GantryError.self, "\(name)") { try UpstreamDeclarations(servers: [.init(name: name, command: "x")]) }
        }
        #expect(throws: GantryError.self) { try UpstreamDeclarations(servers: [.init(name: "web", command: "")]) }
        #expect(throws: GantryError.self) { try UpstreamDeclarations(servers: [.init(name: "web", command: "a"), .init(name: "web", command: "b")]) }
        let path = NSTemporaryDirectory() + "servers-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for text in ["{", #"{"servers": [{"name": "web"}]}"#, #"[1]"#, #"{"servers": [{"name": "a__b", "command": "x"}]}"#] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: GantryError.self, "\(text)") { try UpstreamDeclarations(contentsOf: path) }
        }
    }

    /// A registered name splits at the first `__`: a tool's own `__` stays in the tool's name.
    @Test func registeredNamesSplitBack() {
        #expect(UpstreamDeclarations.registeredName(server: "web", tool: "search") == "web__search")
        #expect(UpstreamDeclarations.split("web__search")! == ("web", "search"))
        #expect(UpstreamDeclarations.split("web__deep__search")! == ("web", "deep__search"))
        #expect(UpstreamDeclarations.split("search") == nil && UpstreamDeclarations.split("__search") == nil && UpstreamDeclarations.split("web__") == nil)
    }
}
