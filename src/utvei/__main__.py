from utvei.cli import main

main()
