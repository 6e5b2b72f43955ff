import Foundation

/// Parses a script and resolves its `include`s (path relative to the including file, then the
/// stdlib folders), so the checker and interpreter see one tree. Cycles are errors.
public struct ScriptLoader: Sendable {
    /// Folders searched after the including file's folder.
    public var stdlibDirectories: [String]

    public init(stdlibDirectories: [String] = ScriptLoader.defaultStdlibDirectories()) {
        self.stdlibDirectories = stdlibDirectories
    }

    /// Parses `file` and every file it includes.
    public func load(_ file: SourceFile) -> (statements: [Statement], errors: [ScriptError]) {
        var errors: [ScriptError] = []
        var cache: [String: [Statement]] = [:]
        let (statements, parseErrors) = Parser.parse(file)
        errors += parseErrors
        let own = ScriptLoader.canonical(file.name)
        let resolved = resolve(statements, from: file, stack: [own], cache: &cache, errors: &errors)
        return (resolved, errors)
    }

    private func resolve(_ statements: [Statement], from file: SourceFile, stack: [String],
                         cache: inout [String: [Statement]], errors: inout [ScriptError]) -> [Statement] {
        statements.map { statement in
            switch statement {
            case .include(let pathExpr, nil, let range):
                guard case .string(let path, let pathRange) = pathExpr else {
                    errors.append(.includeNeedsString(at: pathExpr.range))
                    return .include(path: pathExpr, body: [], range)
                }
                let candidates = searchPaths(for: path, from: file)
                guard let found = candidates.first(where: ScriptLoader.isScriptFile) else {
                    var isFolder: ObjCBool = false
                    if let folder = candidates.first(where: { FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && isFolder.boolValue }) {
                        errors.append(.includeIsFolder(path, found: folder, at: pathRange))
                    } else {
                        errors.append(.includeNotFound(path, searched: candidates, at: pathRange))
                    }
                    return .include(path: pathExpr, body: [], range)
                }
                let key = ScriptLoader.canonical(found)
                if stack.contains(key) || stack.count > 64 {
                    errors.append(.includeCycle(path, at: pathRange))
                    return .include(path: pathExpr, body: [], range)
                }
                if let body = cache[key] { return .include(path: pathExpr, body: body, range) }
                guard let data = FileManager.default.contents(atPath: found) else {
                    errors.append(.io("read", path: found, at: pathRange))
                    return .include(path: pathExpr, body: [], range)
                }
                let included = SourceFile(name: ScriptLoader.displayName(found), bytes: Array(data))
                let (parsed, parseErrors) = Parser.parse(included)
                errors += parseErrors
                let body = resolve(parsed, from: included, stack: stack + [key], cache: &cache, errors: &errors)
                cache[key] = body
                return .include(path: pathExpr, body: body, range)
            case .forLoop(let v, let values, let parallel, let body, let range):
                return .forLoop(variable: v, values: values, parallel: parallel,
                                body: resolve(body, from: file, stack: stack, cache: &cache, errors: &errors), range)
            case .conditional(let condition, let then, let otherwise, let range):
                return .conditional(condition, then: resolve(then, from: file, stack: stack, cache: &cache, errors: &errors),
                                    otherwise: resolve(otherwise, from: file, stack: stack, cache: &cache, errors: &errors),
                                    range)
            default:
                return statement
            }
        }
    }

    /// Largest script an `include` reads.
    public static let maxScriptBytes = 64 << 20

    /// A readable regular file of sane size (never a folder, `/dev/zero` or a pipe).
    static func isScriptFile(_ path: String) -> Bool {
        guard FileManager.default.isReadableFile(atPath: path),
              let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? NSNumber else { return false }
        return size.intValue <= maxScriptBytes
    }

    /// Where `include "path"` looks, in order.
    public func searchPaths(for path: String, from file: SourceFile) -> [String] {
        if path.hasPrefix("/") { return [path] }
        let base: String
        if file.name.hasPrefix("<") { base = FileManager.default.currentDirectoryPath }
        else { base = (file.name as NSString).deletingLastPathComponent }
        let local = base.isEmpty ? path : (base as NSString).appendingPathComponent(path)
        return [local] + stdlibDirectories.map { ($0 as NSString).appendingPathComponent(path) }
    }

    static func canonical(_ path: String) -> String {
        if path.hasPrefix("<") { return path }
        return URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Paths under the current folder are shown relative to it.
    static func displayName(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }

    /// `$RMTL_STDLIB`, then a `stdlib/` folder next to the executable or in one of its parent
    /// folders (a source checkout: `.build/<triple>/release/rmtl` → `stdlib/`), then `./stdlib`.
    public static func defaultStdlibDirectories() -> [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["RMTL_STDLIB"], !env.isEmpty { dirs.append(env) }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        var dir = (exe as NSString).deletingLastPathComponent
        var steps = 0
        while !dir.isEmpty, dir != "/", steps < 6 {
            let candidate = (dir as NSString).appendingPathComponent("stdlib")
            if FileManager.default.fileExists(atPath: (candidate as NSString).appendingPathComponent("paper.rmtl")) {
                dirs.append(candidate)
                break
            }
            dir = (dir as NSString).deletingLastPathComponent
            steps += 1
        }
        let local = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent("stdlib")
        if !dirs.contains(local) { dirs.append(local) }
        return dirs
    }
}
