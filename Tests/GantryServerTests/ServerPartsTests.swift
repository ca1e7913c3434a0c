import AgentGantry
import Foundation
import GantryEmbed
import GantryMath
@testable import GantryServer
import Testing

@Suite("Server parts")
struct ServerPartsTests {
    /// Tenants opened without an embedder (`gantry serve`) each keep the encoder precision of
    /// their store's tools, a new tenant gets the default, and tenants of one precision share
    /// one encoder.
    @Test func tenantsKeepTheirStoresEncoderPrecisionAndShareEncoders() async throws {
        let folder = NSTemporaryDirectory() + "gantry-tenants-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let stores = TenantStores.folder(folder), configuration = GantryConfiguration(storePath: nil)
        let bf16 = try MiniLMEncoder(precision: .bfloat16)
        try await stores.openGantry(of: "a", configuration: configuration, embedder: bf16)
            .register([Tool(name: "refund_payment", description: "Refund a payment to the customer's card.")])

        let requested = try MiniLMEncoder.requestedPrecision()
        let a = try await stores.openGantry(of: "a", configuration: configuration)
        let b = try await stores.openGantry(of: "b", configuration: configuration)
        let c = try await stores.openGantry(of: "c", configuration: configuration)
        #expect((a.embedder as? MiniLMEncoder)?.precision == requested ?? .bfloat16)
        #expect((b.embedder as? MiniLMEncoder)?.precision == (try MiniLMEncoder.defaultPrecision()))
        #expect(b.embedder as AnyObject === c.embedder as AnyObject, "two tenants of one precision loaded two encoders")
    }

    /// FIPS 180-4's vectors, a message across a block boundary, and Python's hashlib on random
    /// texts (a real implementation to agree with, not numbers copied from one).
    @Test func sha256MatchesTheStandardAndHashlib() throws {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var rng = SystemRandomNumberGenerator()
        let texts = (0..<40).map { i in String((0..<(i * 7 % 150)).map { _ in "aé✓z0 _".randomElement(using: &rng)! }) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import hashlib,sys,json\nfor t in json.load(sys.stdin): print(hashlib.sha256(t.encode()).hexdigest())"]
        let input = Pipe(), output = Pipe()
        (process.standardInput, process.standardOutput) = (input, output)
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: texts))
        try input.fileHandleForWriting.close()
        let digests = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        process.waitUntilExit()
        #expect(digests == texts.map(SHA256.hex))
    }

    @Test func tokensNameTheirTenantsAndBadFilesAreRefused() throws {
        let (token, digest) = TenantTokens.newToken()
        let tokens = try TenantTokens(json: Data(#"{"tokens": [{"sha256": "\#(digest.uppercased())", "tenant": "acme"}]}"#.utf8))
        #expect(tokens.tenant(of: token) == "acme" && tokens.tenant(of: token + "x") == nil && tokens.tenant(of: "") == nil)
        #expect(token.hasPrefix("gt_") && token.count > 40 && TenantTokens.newToken().token != token)
        for bad in [#"{"tokens": [{"sha256": "abc", "tenant": "acme"}]}"#, #"{"tokens": [{"sha256": "\#(digest)", "tenant": "Acme Inc"}]}"#,
                    #"{"tokens": [{"sha256": "\#(digest)", "tenant": "a"}, {"sha256": "\#(digest)", "tenant": "b"}]}"#, #"[1, 2]"#, "{"] {
            #expect(throws: GantryError.self, "\(bad)") { try TenantTokens(json: Data(bad.utf8)) }
        }
        for name in ["", "_x", "a-b", "A", String(repeating: "a", count: 49)] {
            #expect(throws: GantryError.self, "\(name)") { try TenantTokens.checkTenant(name) }
        }
        try TenantTokens.checkTenant("team_7")
    }

    /// Valid names stay; others become valid, stable, distinct, and resolve back.
    @Test func exportedNamesAreValidAndResolveBack() {
        let names = ["search_web", "github/create_issue", "github.create_issue", "github create issue", "ünïcode-tool",
                     String(repeating: "long", count: 30), String(repeating: "long", count: 30) + "!", "a"]
        let exported = names.map(ProviderNames.exported)
        #expect(exported[0] == "search_web" && exported[7] == "a")
        #expect(exported.allSatisfy(ProviderNames.isValid) && Set(exported).count == names.count, "\(exported)")
        #expect(names.map(ProviderNames.exported) == exported)
        let resolver = ProviderNames.Resolver(names: names)
        for (name, exported) in zip(names, exported) { #expect(resolver.original(of: exported) == (name == exported ? nil : name)) }
        #expect(resolver.original(of: "unknown") == nil)
    }

    /// A body is read in time linear in its length however deeply it nests (a probe's 1 KB of
    /// 510 nested arrays took 0.6 s through `Codable`), and what is wrong with a bad one is said.
    @Test func deeplyNestedBodiesAreRefusedCheaply() throws {
        for depth in [65, 510, 100_000] {
            let body = Data(("{\"query\": \"x\", \"tags\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
            #expect(throws: APIError.self) { try RequestFields(body, known: ["query", "tags"]) }
        }
        let flat = Data(("{\"query\": \"x\", \"tags\": " + String(repeating: "[", count: 60) + String(repeating: "]", count: 60) + "}").utf8)
        #expect(throws: APIError.self) { try RequestFields(flat, known: ["query", "tags"]).strings("tags") }  // parsed, then the wrong type
        #expect(throws: APIError.self) { try RequestFields(Data("{\"limit\": 1e400}".utf8), known: ["limit"]) }
        for (bad, says) in [("{\"query\": ", "not JSON"), ("{\"a\": 1, \"a\": 2}", "repeats a key")] {
            do {
                _ = try RequestFields(Data(bad.utf8), known: ["query", "a", "limit"])
                Issue.record("\(bad) was taken")
            } catch {
                #expect(error.message.contains(says), "\(bad): \(error.message)")
            }
        }
        #expect(throws: APIError.self) { try RequestFields(Data([0x7B, 0xFF, 0x7D]), known: []) }  // not UTF-8
    }

    /// The four ways of defining a tool give the same tool; AgentGantry's extras ride along.
    @Test func everyProviderFormatReadsAsATool() throws {
        let schema: JSONValue = .object(["type": .string("object"), "properties": .object(["id": .object(["type": .string("string")])])])
        let forms: [JSONValue] = [
            .object(["type": .string("function"), "function": .object(["name": .string("cancel"), "description": .string("Cancel it"), "parameters": schema]),
                     "tags": .array([.string("billing")])]),
            .object(["type": .string("function"), "name": .string("cancel"), "description": .string("Cancel it"), "parameters": schema,
                     "tags": .array([.string("billing")])]),
            .object(["name": .string("cancel"), "description": .string("Cancel it"), "input_schema": schema, "tags": .array([.string("billing")])]),
            .object(["name": .string("cancel"), "title": .string("Cancel it"), "inputSchema": schema, "tags": .array([.string("billing")])]),
        ]
        let tools = try forms.map { try ToolDefinitions.tool($0, position: "tools[0]") }
        #expect(tools.allSatisfy { $0 == Tool(name: "cancel", description: "Cancel it", tags: ["billing"], parameters: schema) }, "\(tools)")
        for bad: JSONValue in [.string("x"), .object(["description": .string("d")]), .object(["name": .string("n")]),
                               .object(["name": .string("n"), "description": .string("d"), "parameters": .string("no")]),
                               .object(["name": .string("n"), "description": .string("d"), "tags": .array([.number(1)])]),
                               .object(["name": .string("n"), "description": .string("d"), "parameters": schema, "inputSchema": schema])] {
            #expect(throws: APIError.self, "\(bad)") { try ToolDefinitions.tool(bad, position: "tools[0]") }
        }
    }

    /// The bucket holds a minute's requests and refills at that rate (the clock injected).
    @Test func theRateLimitRefillsWithTime() throws {
        let clock = NSLock.Protected(0.0)
        let limiter = RateLimiter(try RateLimit(parsing: "3/min")) { clock.withLock { $0 } }
        #expect((0..<3).map { _ in limiter.admit("a") } == [nil, nil, nil])
        #expect(limiter.admit("a") == 20 && limiter.admit("b") == nil)  // another tenant has its own bucket
        clock.withLock { $0 = 10 }
        #expect(limiter.admit("a").map { (10...11).contains($0) } == true)  // half a token back: ten seconds to go
        clock.withLock { $0 = 21 }
        #expect(limiter.admit("a") == nil && limiter.admit("a") != nil)
        #expect(try RateLimit(parsing: "5/h") == RateLimit(requests: 5, period: 3_600) && (try RateLimit(parsing: "100/s")).description == "100/s")
        for bad in ["", "5", "5/day", "0/s", "-1/min", "x/s", "5/s/s"] {
            #expect(throws: GantryError.self, "\(bad)") { try RateLimit(parsing: bad) }
        }
    }

    /// Answers are written by hand (`JSONValue.writeJSON(into:)`): random values — escapes,
    /// control characters, non-ASCII text, every kind of number, nesting — read back by
    /// Foundation's `JSONDecoder` as what they were, keys in order.
    @Test func answersAreTheJSONOfTheirValues() throws {
        var rng = SplitMix64(seed: 7)
        let characters = Array("aZ09 _-/\\\"\u{0}\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}é✓😀\u{2028}")
        func text() -> String { String((0..<Int(rng.next() % 12)).map { _ in characters[Int(rng.next() % UInt64(characters.count))] }) }
        func number() -> Double {
            switch rng.next() % 5 {
            case 0: Double(Int64(bitPattern: rng.next()) % 1_000_000)
            case 1: Double(rng.next() % 1_000_000) / 1_000
            case 2: -Double(rng.next()) * 1e-300
            case 3: Double(rng.next()) * 1e280
            default: 9_007_199_254_740_994 * (rng.next() % 2 == 0 ? 1 : -1)  // 2⁵³ + 2: past the integers written as such
            }
        }
        func value(depth: Int) -> JSONValue {
            switch depth > 3 ? rng.next() % 4 : rng.next() % 6 {
            case 0: .null
            case 1: .bool(rng.next() % 2 == 0)
            case 2: .number(number())
            case 3: .string(text())
            case 4: .array((0..<Int(rng.next() % 4)).map { _ in value(depth: depth + 1) })
            default: .object(Dictionary((0..<Int(rng.next() % 4)).map { _ in (text(), value(depth: depth + 1)) }) { first, _ in first })
            }
        }
        for _ in 0..<500 {
            let original = value(depth: 0), written = Data(original.jsonBuffer.readableBytesView)
            #expect(try JSONDecoder().decode(JSONValue.self, from: written) == original, "\(String(decoding: written, as: UTF8.self))")
        }
        let object = JSONValue.object(["b": .number(1), "a": .number(0.5), "B": .number(.nan), "é": .string("x\ny")])
        #expect(String(buffer: object.jsonBuffer) == #"{"B":null,"a":0.5,"b":1,"é":"x\ny"}"#)
    }
}

