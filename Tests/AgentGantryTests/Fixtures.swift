import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import GantryEmbed

/// One encoder for all tests (loading maps the model once), at float weights whatever
/// `GANTRY_ENCODER_PRECISION` says: the routing these tests assert compares retrievals across
/// gantries, and another suite switches the bfloat16 kernel process-wide while it runs
/// (`MiniLMParityTests`).
let sharedEncoder = Result { try MiniLMEncoder(precision: .float32) }

/// A small support-desk catalog with deliberately confusable pairs.
let catalog: [Tool] = [
    Tool(name: "cancel_subscription", description: "Stop the recurring plan for good and end future charges.", tags: ["billing"],
         parameters: .object(["type": .string("object"), "properties": .object(["account_id": .object(["type": .string("string")])])])),
    Tool(name: "pause_subscription", description: "Cancel billing of a subscription temporarily; the subscription resumes later.", tags: ["billing"]),
    Tool(name: "refund_payment", description: "Refund a payment to the customer's card.", tags: ["billing"]),
    Tool(name: "slack_notify", description: "Post a notification message to a Slack channel.", tags: ["notifications"]),
    Tool(name: "email_notify", description: "Send a notification e-mail to a list of recipients.", tags: ["notifications"]),
    Tool(name: "create_calendar_event", description: "Create a meeting in the user's calendar.", tags: ["calendar"]),
    Tool(name: "upload_file", description: "Upload a file to shared storage.", tags: ["files"]),
    Tool(name: "restart_service", description: "Restart a production service or deployment.", tags: ["devops"]),
    Tool(name: "old_billing_export", description: "Export billing data (legacy).", tags: ["billing"], deprecated: true),
]

/// 80 distinct cancelling requests (10 verbs × 8 objects). The frozen model ranks
/// `cancel_subscription` first for each, so feedback saying they belong to `pause_subscription`
/// is something only training can teach; 80 requests let `train()` hold 16 out for its gate.
let cancellingRequests = ["cancel", "stop", "end", "terminate", "close", "quit", "drop", "discontinue", "abandon", "kill"].flatMap { verb in
    ["my subscription", "the plan", "my membership", "the monthly plan", "my account plan", "the recurring charge",
     "this subscription", "our subscription"].map { "\(verb) \($0)" }
}

func temporaryStore() -> String {
    NSTemporaryDirectory() + "gantry-store-\(UUID().uuidString)/gantry.sqlite"
}

func makeGantry(store: String? = nil, _ change: (inout GantryConfiguration) -> Void = { _ in }) async throws -> AgentGantry {
    var configuration = GantryConfiguration(storePath: store)
    change(&configuration)
    let gantry = try await AgentGantry(configuration: configuration, embedder: sharedEncoder.get())
    if await gantry.tools.isEmpty { try await gantry.register(catalog) }
    return gantry
}

func names(_ matches: some Collection<ToolMatch>) -> [String] { matches.map(\.tool.name) }

func position(_ name: String, in matches: some RandomAccessCollection<ToolMatch>) -> Int { matches.firstIndex { $0.tool.name == name }.map { matches.distance(from: matches.startIndex, to: $0) } ?? Int.max }
