import GantryMath

/// Intent of a request from embeddings, not substrings: each intent is the centroid of example
/// phrases' embeddings; a query's intent is the nearest centroid, trusted only when it is close
/// enough and clearly closer than the runner-up. Tools get an intent from a tag naming one, else
/// from their own vector. Corrections move the centroid of the correct tool's intent toward their
/// queries: a centroid is unit(weight · base centroid + the sum of the corrected queries of the
/// tools of that intent), kept as a sum in Double, so it depends on which corrections and tools
/// there are, not on the order they arrived in (processes folding one log converge).
struct IntentClassifier: Sendable {
    struct Intent: Sendable {
        var name: String
        var centroid: [Float]  // unit length
        /// The phrases the base centroid was built from.
        var weight: Double
        /// weight · base centroid + the corrected queries added (`add(_:to:)`).
        var sum: [Double]
    }

    private(set) var intents: [Intent]
    /// Lowest cosine to the nearest centroid that counts, and the margin over the runner-up at
    /// which confidence reaches 1.
    let minimumSimilarity: Float = 0.3, fullMargin: Float = 0.1

    /// The default intents: common tool families, five phrases each.
    static let defaultExamples: [(String, [String])] = [
        ("billing", ["charge my card", "refund the payment", "update my payment method", "why was I billed twice", "send me the invoice"]),
        ("subscriptions", ["cancel my subscription", "upgrade my plan", "pause my membership", "renew the subscription", "change my plan"]),
        ("notifications", ["notify the team", "send a message to the channel", "email the customer", "post an alert", "ping everyone"]),
        ("calendar", ["schedule a meeting", "book a call tomorrow", "what is on my calendar", "reschedule the appointment", "invite them to the event"]),
        ("files", ["upload the document", "share the file", "download the attachment", "find the spreadsheet", "convert this pdf"]),
        ("crm", ["update the customer record", "add a new lead", "log the call with the client", "find the account owner", "create a contact"]),
        ("devops", ["restart the service", "deploy to production", "roll back the release", "check the server logs", "scale up the cluster"]),
        ("analytics", ["show the sales dashboard", "how many weekly active users", "build a report", "plot revenue by month", "query the metrics"]),
        ("hr", ["request time off", "onboard a new employee", "check my payslip", "submit an expense", "update my benefits"]),
        ("travel", ["book a flight", "find a hotel", "rent a car", "check my itinerary", "plan a trip"]),
        ("search", ["search the web", "look this up", "find information about a topic", "get the latest news", "research papers on this"]),
        ("shopping", ["buy this product", "compare prices", "track my order", "find a gift", "add it to my cart"]),
        ("food", ["find a recipe", "order dinner", "restaurants near me", "what should I cook", "nutrition facts of this meal"]),
        ("finance", ["current stock price", "convert currency", "crypto market today", "mortgage calculator", "investment advice"]),
        ("weather", ["weather tomorrow", "will it rain", "temperature outside", "air quality today", "forecast for the weekend"]),
    ]

    /// Centroids of the example phrases, embedded by `embed`.
    init(examples: [(String, [String])], embed: ([String]) throws -> Matrix) throws {
        let phrases = examples.flatMap(\.1)
        let vectors = try embed(phrases)
        var intents = [Intent](), row = 0
        for (name, list) in examples {
            var sum = [Float](repeating: 0, count: vectors.cols)
            for _ in list {
                for c in sum.indices { sum[c] += vectors[row, c] }
                row += 1
            }
            let centroid = Self.unit(sum)
            intents.append(Intent(name: name, centroid: centroid, weight: Double(list.count),
                                  sum: centroid.map { Double($0) * Double(list.count) }))
        }
        self.intents = intents
    }

    /// The nearest intent and a confidence in (0, 1], or nil when no intent is close or clear enough.
    func classify(_ q: [Float]) -> (intent: Int, confidence: Double)? {
        guard intents.count >= 2 else { return nil }
        var best = (index: -1, score: -Float.infinity), second = -Float.infinity
        for (i, intent) in intents.enumerated() {
            let score = (try? SIMDKernels.dot(intent.centroid, q)) ?? -.infinity
            if score > best.score { second = best.score; best = (i, score) } else if score > second { second = score }
        }
        guard best.score >= minimumSimilarity else { return nil }
        let confidence = Double(min(1, (best.score - second) / fullMargin))
        return confidence > 0 ? (best.index, confidence) : nil
    }

    /// A tool's intent: the first tag naming an intent, else the nearest centroid of its vector
    /// when that is confident.
    func intent(ofTool tool: Tool, vector: [Float]) -> Int? {
        for tag in tool.tags {
            if let index = intents.firstIndex(where: { $0.name == tag.lowercased() }) { return index }
        }
        return classify(Self.unit(vector)).map(\.intent)  // tool vectors are the embedder's, not necessarily unit
    }

    /// Adds `vector` (one corrected query, or the sum of several, times `sign` to take them out)
    /// to intent `index`'s sum, and moves its centroid there.
    mutating func add(_ vector: [Double], to index: Int, sign: Double = 1) {
        for c in vector.indices { intents[index].sum[c] += sign * vector[c] }
        intents[index].centroid = Self.unit(intents[index].sum.map { Float($0) })
    }

    /// `v` scaled to unit length (unchanged when it is all zero).
    static func unit(_ v: [Float]) -> [Float] {
        var unit = v
        return (try? SIMDKernels.normalize(&unit)) != nil ? unit : v
    }
}
