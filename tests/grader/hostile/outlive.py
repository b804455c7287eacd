# Tries to leave processes behind that outlive grading; carries on whatever happens.
import os
import subprocess
import sys
import threading
import time
try:
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)  # __MARKER__"],
                     start_new_session=True)
except OSError:
    pass
try:
    if os.fork() == 0:
        os.setsid()
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)  # __MARKER__"])
except OSError:
    pass
threading.Thread(target=time.sleep, args=(300,), daemon=False).start()
