"""Every text of the shared datasets, as AgentGantry embeds them, for `EncoderCompare --parity`:
the queries of MetaTool, ToolLens and the support-desk set, their tools' texts made by the rule of
`Tool.embeddingText` (name: description, then the sorted parameter names and up to five
examples), and the texts of the sentence-transformers fixture of `MiniLMParityTests`.

python parity_texts.py SHARED_DATASETS_DIR REPOSITORY_ROOT OUT.json
"""
import json
import sys


def rows(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def tool_text(tool):
    text = f"{tool.get('name') or tool['id']}: {tool.get('description', '')}"
    names = sorted(((tool.get("parameters") or {}).get("properties") or {}).keys())
    if names:
        text += " Parameters: " + ", ".join(names) + "."
    if tool.get("examples"):
        text += " Examples: " + "; ".join(tool["examples"][:5]) + "."
    return text


sets = {}
for name, folder in [("metatool", sys.argv[1] + "/metatool"), ("toollens", sys.argv[1] + "/toollens"),
                     ("support-desk", sys.argv[2] + "/datasets/support-desk")]:
    sets[name + " queries"] = [row["text"] for row in rows(folder + "/queries.jsonl")]
    sets[name + " tools"] = [tool_text(row) for row in rows(folder + "/tools.jsonl")]
sets["fixture"] = [row["text"] for row in rows(sys.argv[2] + "/Tests/GantryEmbedTests/Fixtures/minilm_reference.jsonl")]
json.dump(sets, open(sys.argv[3], "w"))
