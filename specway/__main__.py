import sys

from specway.cli import main

sys.exit(main())
