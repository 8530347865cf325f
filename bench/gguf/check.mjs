// Loads a GGUF file written by `gptlab export --format gguf` with llama.cpp itself (node-llama-cpp 3.21.1's prebuilt
// binaries) and parses its header with @huggingface/gguf; prints one JSON line: the header as llama.cpp's parser and
// @huggingface/gguf read it, the prompt's token ids, and the greedy continuation (ids and text).
// usage: node check.mjs FILE.gguf PROMPT TOKENS
import { getLlama } from "node-llama-cpp";
import { gguf } from "@huggingface/gguf";

const [file, prompt = "\n", count = "40"] = process.argv.slice(2);
const { metadata, tensorInfos } = await gguf(file, { allowLocalFile: true });
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath: file });
const context = await model.createContext({ contextSize: Number(metadata["gpt2.context_length"]), batchSize: 512 });
const sequence = context.getSequence();
const input = model.tokenize(prompt, true);
const output = [];
for await (const token of sequence.evaluate(input, { temperature: 0 })) {
  output.push(token);
  if (output.length >= Number(count)) break;
}
console.log(JSON.stringify({
  architecture: metadata["general.architecture"], version: metadata.version, tensors: tensorInfos.length,
  tensor_names: tensorInfos.map(t => t.name), tensor_shapes: tensorInfos.map(t => t.shape.map(Number)),
  vocab: metadata["tokenizer.ggml.tokens"]?.length, context_length: Number(metadata["gpt2.context_length"]),
  llama_train_context: model.trainContextSize, prompt_ids: Array.from(input), ids: output, text: model.detokenize(output),
}));
await context.dispose();
await model.dispose();
