import Foundation
import RMTLScript

/// The kernelspec Jupyter finds the kernel by: `share/jupyter/kernels/rmtl/` with kernel.json
/// and the launcher logos.
public enum KernelSpec {
    public static let name = "rmtl"

    /// kernel.json: this executable (absolute path) started with the connection file; Jupyter
    /// interrupts it with SIGINT, which stops the running command as Ctrl-C does at the prompt.
    public static func json(executable: String) -> Data {
        let spec: JSONObject = [
            "argv": [executable, "kernel", "--connection-file", "{connection_file}"],
            "display_name": "rmtl", "language": "rmtl", "interrupt_mode": "signal",
            "metadata": ["debugger": false] as JSONObject,
        ]
        // a dictionary of strings, arrays and a bool always serialises
        return try! JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// Writes the kernelspec folder `directory` (…/kernels/rmtl), replacing an older one.
    public static func install(in directory: String, executable: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try json(executable: executable).write(to: URL(fileURLWithPath: directory + "/kernel.json"), options: .atomic)
        try logo32.write(to: URL(fileURLWithPath: directory + "/logo-32x32.png"), options: .atomic)
        try logo64.write(to: URL(fileURLWithPath: directory + "/logo-64x64.png"), options: .atomic)
    }

    /// The 32 and 64 px launcher icons: three bars (tasks) on a blue tile, drawn by
    /// scripts/kernel-logo.py; embedded so an installed binary needs no resource files.
    public static let logo32 = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAXUlEQVR42mNgQALyfpX/6YEZsAF6WY7VEfS2HMURA2U53BGjDqC2gY1XfmHFow4YdQBVHfB/uy9WPOqAUQeMOoCqDsAFRh0w6oBRB4wcB4y2ikdE72jwdE4HsnsOAFD62Ltshf7HAAAAAElFTkSuQmCC")!
    public static let logo64 = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAYAAACqaXHeAAAApklEQVR42u3bsQ2AMAwEwGzCRLAPJVOxCNPQhI4GASFVgs+S+/yVVj6llxmmOfe8qXZ6D14N8bfgnyD+Hv4RIUr4W4TQANHCXxBCA0QNfyIAAACg+Ucu2160AAAAAAAAAAAAAFoFyOtYtAAAAAAAAAAAAAAAAADQJEDpAAAAAAAAAAAAAAAAAAAAAAAcRPwTBAAAgM6AxojekNaY7qD2qA6xFnkrwQ8bQTyTydcZgQAAAABJRU5ErkJggg==")!
}
