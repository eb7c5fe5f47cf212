from unstuck.cli import main

raise SystemExit(main())
