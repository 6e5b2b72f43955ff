import ArgumentParser
import Foundation
import RMTLKernel
import RMTLScript

/// `rmtl kernel`: the Jupyter kernel, and its kernelspec.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Serve .rmtl cells to Jupyter (JupyterLab, Notebook, VS Code, jupyter console).",
        discussion: "`rmtl kernel install` once, then pick the rmtl kernel in Jupyter; Jupyter starts "
            + "`rmtl kernel --connection-file FILE` itself. See docs/notebooks.md.",
        subcommands: [Serve.self, Install.self, Uninstall.self], defaultSubcommand: Serve.self)

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Speak the Jupyter messaging protocol on the sockets a connection file names.")

        @Option(name: .customLong("connection-file"), help: ArgumentHelp("The connection file Jupyter wrote.", valueName: "file"))
        var connectionFile: String

        @OptionGroup var registryOptions: RegistryOptions

        func run() throws {
            let connection: ConnectionInfo
            do { connection = try ConnectionInfo.load(path: connectionFile) } catch {
                printError(error.description)
                throw ExitCode(74)
            }
            // Jupyter interrupts with SIGINT, once per click: never exit on a second one
            InterruptHandler.install(exitOnSecond: false)
            let runner = CellRunner()
            registryOptions.attach(to: runner.session)
            recordEntries(of: runner.session, kind: "kernel")
            let kernel: Kernel
            do { kernel = try Kernel(connection: connection, runner: runner, log: printError) } catch {
                printError("\(connectionFile): error: \(error)")
                throw ExitCode(74)
            }
            _ = kernel.run()  // on restart Jupyter starts a new process
            runner.session.workspace.recorder?.finish(status: "finished", error: nil)
        }
    }

    /// Where the kernelspec goes: `--user` (the default), `--sys-prefix` or `--prefix`.
    struct Location: ParsableArguments {
        @Flag(help: "For this user: $JUPYTER_DATA_DIR, else ~/.local/share/jupyter (the default).")
        var user = false
        @Flag(name: .customLong("sys-prefix"), help: "Into the active Python environment ($VIRTUAL_ENV or $CONDA_PREFIX).")
        var sysPrefix = false
        @Option(help: ArgumentHelp("Under PREFIX/share/jupyter (use JUPYTER_PATH=PREFIX/share/jupyter).", valueName: "prefix"))
        var prefix: String?

        func validate() throws {
            if [user, sysPrefix, prefix != nil].filter({ $0 }).count > 1 {
                throw ValidationError("choose one of --user, --sys-prefix and --prefix")
            }
        }

        func directory() throws -> String {
            let env = ProcessInfo.processInfo.environment
            let share: String
            if let prefix {
                share = prefix + "/share/jupyter"
            } else if sysPrefix {
                guard let p = env["VIRTUAL_ENV"] ?? env["CONDA_PREFIX"], !p.isEmpty else {
                    printError("error: --sys-prefix needs an active Python environment\nhint: activate it, or use --prefix PATH")
                    throw ExitCode(64)
                }
                share = p + "/share/jupyter"
            } else if let d = env["JUPYTER_DATA_DIR"], !d.isEmpty {
                share = d
            } else {
                share = NSHomeDirectory() + "/.local/share/jupyter"
            }
            return (share as NSString).standardizingPath + "/kernels/" + KernelSpec.name
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the rmtl kernelspec (kernel.json naming this rmtl, and its logos).")
        @OptionGroup var location: Location

        func run() throws {
            let directory = try location.directory()
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
            do { try KernelSpec.install(in: directory, executable: executable) } catch {
                printError("\(directory): error: cannot write the kernelspec\nhint: choose another place with --user or --prefix")
                throw ExitCode(74)
            }
            printLine("installed the rmtl kernel in \(directory)")
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the rmtl kernelspec that `install` wrote.")
        @OptionGroup var location: Location

        func run() throws {
            let directory = try location.directory()
            guard FileManager.default.fileExists(atPath: directory + "/kernel.json") else {
                printError("\(directory): error: no rmtl kernel installed here\nhint: give the same --user, --sys-prefix or --prefix as at install")
                throw ExitCode(66)
            }
            do { try FileManager.default.removeItem(atPath: directory) } catch {
                printError("\(directory): error: cannot remove the kernelspec")
                throw ExitCode(74)
            }
            printLine("removed the rmtl kernel from \(directory)")
        }
    }
}
