"""What `help` prints in the shell: what to type, the other words, and how to start it."""

SHELL_HELP = """\
Type what you would type in Slack, for example:
  /bitscale grids                       list grids (press [Next ▶] by typing: next)
  /bitscale run Company Enrichment      opens the run form; you'll be asked for each input
  /bitscale runs                        your recent runs; status 1 shows the first one's status
  /bitscale credits                     the workspace's credits
  /bitscale score https://acme.example  a page's GEO scores from Bittlebits (simulated)
  /bitscale rewrite https://acme.example  Bittlebits' rewrite suggestions for the page
Press a button by typing its label, or its start (run 2, next, previous, run again): the
newest message's buttons come first. In a form, (required) marks what must be filled in;
Enter keeps a [pre-filled] value; type cancel to drop the form.
More of Slack:
  shortcut                the ⚡ Run a BitScale grid shortcut (pick a grid, then the form)
  enrich <message text>   post a message, then use Enrich with BitScale on it
  @BitScale <text>        mention the bot (help, or a quick run of the channel's default)
  home                    open the app's Home tab
  low-credits [N]         make the demo workspace's credits drop to N (an alert follows)
  workflow <grid> :: k=v  a workflow reaching the step Run a BitScale grid
  /bitscale batch <grid>  a CSV batch: the form asks for a file path on this computer
  /invite @BitScale       invite the bot to the channel
  any other text          posted in the channel as a message, as in Slack (a LinkedIn
                          link in it gets the bot's preview, with its buttons)
  react [🔎]              react to the newest message in the channel (🔎 enriches it)
Other words:
  wait    wait until every run and batch has posted its result
  help    this text
  quit    leave, from a form too (Ctrl-D, or Ctrl-C at the prompt, leave too; Ctrl-C
          while the bot works stops waiting for it)
Starting the shell:
  --user NAME     who you are (the admins are BITSCALE_BOT_ADMINS: ana, bob; by
                  default the person typing is the only admin)
  --channel NAME  the channel you type in; --db FILE keeps everything between sessions
                  (attached files are saved in a folder next to it)
In scripts, answer a form inline:
  /bitscale run Person Lookup :: full_name=Ada; company_domain=ex.com
"""
