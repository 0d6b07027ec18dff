from builder.launcher import main

raise SystemExit(main())
