import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED_REAL = ROOT.parent / "shared" / "data" / "real"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
