/// `export onnx FILE`.
extension CommandSpec {
    static let exportONNX = CommandSpec(
        "export", "onnx",
        params: [ParamSpec("file", .path, positional: true, required: true, "The .onnx file to write.")],
        needs: [.trainedActor, .splits],
        summary: "Write the trained actor as an ONNX model (opset 17) and its encoders' vocabularies beside it "
            + "(NAME.encoders.json), for serving stacks such as onnxruntime.",
        details: ["Inputs: categorical_ids int64 [batch, fields] (encoded ids, from the JSON's per-field 'ids', else "
            + "'unseen_id') and numeric float [batch, numeric fields]. Outputs: one float [batch, 1] per task, named after "
            + "the task (ESMM: pCTR and pCTCVR = pCTR · pCVR). Dropout is left out (inference). Weights are initializers "
            + "under the same names as in 'save' files and scripts/torch/models.py."]
    ) { a in try a.workspace.exportONNX(to: try a.string("file")!) }
}
