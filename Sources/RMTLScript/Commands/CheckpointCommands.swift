/// `save FILE` and `restore FILE` (the format: Workspace+Checkpoint.swift).
extension CommandSpec {
    static let save = CommandSpec(
        "save", params: [ParamSpec("file", .path, positional: true, required: true, "Where to write the state.")],
        needs: [.actor],
        summary: "Save the actor, encoders, random state, data fingerprint and, after 'critic', the critics, targets, "
            + "optimiser moments and replay buffer, atomically (safetensors)."
    ) { a in try a.workspace.save(to: try a.string("file")!) }

    // The checker cannot read the file, so `restore` may produce critics: one saved before `critic`
    // has none, and a following `train critic` then fails at run time with "no critic".
    static let restore = CommandSpec(
        "restore", params: [ParamSpec("file", .path, positional: true, required: true, "A file written by 'save'.")],
        produces: [.actor, .trainedActor, .critic, .trainedCritic],
        summary: "Restore everything 'save' wrote, over the same data (checked by fingerprint, format version, digest "
            + "and shapes); training continues bit-identically.",
        effect: { checker, _ in checker.state.taskNames = nil }
    ) { a in try a.workspace.restore(from: try a.string("file")!) }
}
