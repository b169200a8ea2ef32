from cnnrnn.cli import main

raise SystemExit(main())
