// Runs a folder written by `gptlab export --format onnx` with transformers.js (@huggingface/transformers on
// onnxruntime-node): loads config.json, tokenizer.json and model.onnx (+ model.onnx_data) as Optimum lays them out,
// and prints one JSON line: the prompt's ids, the greedy continuation (ids and text) and the next-token logits.
// usage: node check.mjs MODEL_DIR PROMPT TOKENS
import path from "node:path";
import { AutoModelForCausalLM, AutoTokenizer, env } from "@huggingface/transformers";

const [dir, prompt = "\n", count = "40"] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(dir)) + "/";
const name = path.basename(path.resolve(dir));
const tokenizer = await AutoTokenizer.from_pretrained(name);
const model = await AutoModelForCausalLM.from_pretrained(name, { subfolder: "", dtype: "fp32", use_external_data_format: true, device: "cpu" });
const inputs = tokenizer(prompt, { add_special_tokens: false });
const promptIds = Array.from(inputs.input_ids.data, Number);
const output = await model.generate({ ...inputs, max_new_tokens: Number(count), do_sample: false });
const ids = Array.from(output.data, Number).slice(promptIds.length);
const { logits } = await model(inputs);
const [, T, V] = logits.dims;
console.log(JSON.stringify({ prompt_ids: promptIds, ids, text: tokenizer.decode(ids), last_logits: Array.from(logits.data.slice((T - 1) * V, T * V)) }));
