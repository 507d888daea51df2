"""Write the arguments this script received (minus --out DIR) to DIR/args.json."""

import json
import sys
from pathlib import Path

argv = sys.argv[1:]
out = Path(argv[argv.index("--out") + 1])
del argv[argv.index("--out") : argv.index("--out") + 2]
(out / "args.json").write_text(json.dumps(argv))
print("args:", " ".join(argv))
