import sys

from monitor.commands.main import main

sys.exit(main())
