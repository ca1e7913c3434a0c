import AgentGantry
import AgentGantryPostgres
import ArgumentParser
import Foundation
import GantryEval

/// `gantry store`: operating an AgentGantry store from the command line.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Operate an AgentGantry store.",
        subcommands: [Info.self, Copy.self, Backup.self, Restore.self])

    /// `gantry store info`: opens a store (migrating it if needed) and prints what it holds.
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "info",
            abstract: "Open a store (migrating it to this version's schema if needed; processes opening one store at once take turns) "
                + "and print its schema version, tools, events, adapter versions and quarantined rows.")

        @Option(help: ArgumentHelp(StoreLocation.help)) var store: String?
        @Flag(help: "Create the store if there is none (e.g. before starting the processes that share it).") var create = false

        func validate() throws {
            _ = try StoreLocation(store)
        }

        func run() async throws {
            let location = try StoreLocation(store)
            try await StoreCommand.printSummary(of: location.openStore(create: create, hint: "give the SQLite file of an AgentGantry store, or --create one"))
        }
    }

    /// Prints the schema version, tools, events, adapter versions and quarantined rows of `opened`.
    static func printSummary(of opened: any GantryStore) async throws {
        let summary: StoreSummary
        switch opened {
        case let store as SQLiteStore: summary = try store.summary()
        case let store as PostgresStore: summary = try await store.summary()
        default: throw GantryError.invalidInput("\(opened.location) is neither a SQLite nor a PostgreSQL store")
        }
        let expanded = summary.expandSteps.isEmpty ? "no expand steps" : "expand steps " + summary.expandSteps.map(String.init).joined(separator: ", ")
        print("\(opened.location): schema version \(summary.schemaVersion), \(expanded)"
            + (opened.readOnlyReason.map { ", opened read-only (\($0))" } ?? ""))
        print("tools \(summary.tools), feedback events \(summary.feedbackEvents), execution events \(summary.executionEvents)")
        print("adapter versions \(summary.adapterVersions) (\(summary.withdrawnAdapterVersions) withdrawn), serving "
            + (summary.servedAdapterVersion.map { "version \($0)" } ?? "the frozen embeddings"))
        print("quarantined rows \(summary.quarantinedRows)")
    }
}
