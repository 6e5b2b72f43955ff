import ArgumentParser
import RMTL
import RMTLScript

@main
struct RMTLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rmtl",
        abstract: "Multi-task recommendation with reinforcement learning (RMTL, WWW 2023), in Swift.",
        version: rmtlVersion,
        subcommands: [Bench.self])

    func run() throws {}
}
