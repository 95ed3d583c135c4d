"""Common given names and surnames, for recognising person-name columns by their content.

Written for rai-audit from general knowledge of frequent names across English, Spanish,
French, German, Italian, Portuguese, Dutch, Slavic, Arabic, Indian, Chinese, Japanese,
Korean, Vietnamese and African naming traditions; a name column needs only a share of its
values in these lists to be recognised, so the lists need not be complete.
"""

GIVEN_NAMES = frozenset("""
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark donald
steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas eric
jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry
tyler aaron jose adam nathan henry douglas zachary peter kyle ethan walter noah jeremy christian keith roger terry
gerald harold sean austin carl arthur lawrence dylan jesse jordan bryan billy joe bruce gabriel logan albert willie alan
juan wayne elijah randy roy vincent ralph eugene russell bobby mason philip louis mary patricia jennifer linda elizabeth
barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley kimberly emily donna michelle carol amanda
dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma
nicole helen samantha katherine christine debra rachel carolyn janet catherine maria heather diane ruth julie olivia
joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea cheryl hannah jacqueline martha gloria
teresa ann sara madison frances kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn danielle
beverly isabella theresa diana natalie brittany charlotte marie kayla alexis lori tiffany keisha latoya shanice
jamal darnell tyrone deshawn demetrius marquis terrell andre malik jermaine rashad lamar cedric darius
miguel luis carlos jorge pedro manuel francisco antonio alejandro javier rafael fernando ricardo eduardo roberto
sergio raul andres diego pablo mario hector oscar ruben julio enrique alberto arturo jesus guadalupe juana rosa
carmen ana lucia elena sofia valentina camila daniela gabriela mariana paula adriana veronica alejandra patricio
jean pierre jacques michel philippe alain nicolas francois julien antoine mathieu sebastien laurent olivier thierry
marie sophie camille chloe manon claire isabelle nathalie sylvie celine aurelie
hans peter klaus jurgen stefan wolfgang andreas michael thomas uwe dieter frank markus matthias lukas leon felix
anna ursula monika petra sabine claudia susanne andrea birgit heike katrin lena lea hannah
giuseppe giovanni francesco luca marco alessandro andrea matteo lorenzo davide simone federico stefano paolo
giulia chiara francesca sara martina alessia elisa valentina silvia federica
joao pedro lucas gabriel rafael gustavo felipe bruno thiago tiago mateus ines beatriz mariana leonor
jan pieter henk kees bram daan sem thijs ruben anouk fleur sanne lotte
ivan dmitri sergei alexei andrei mikhail nikolai vladimir oleg igor yuri pavel olga natalia tatiana svetlana irina
elena ekaterina anastasia marina piotr pawel tomasz krzysztof katarzyna agnieszka magdalena
mohammed muhammad ahmed ali omar hassan hussein ibrahim khalid yusuf mahmoud mustafa abdullah karim tariq samir
fatima aisha zainab maryam khadija layla noor sara amina yasmin leila
rahul amit raj sanjay vijay arjun rohit anil sunil ravi suresh ramesh deepak ajay vikram aditya priya anjali pooja
neha sunita kavita anita lakshmi divya shreya ananya
wei jing li ming hui yan lei jun fang hong xiu ying hao jie yang min
hiroshi takashi kenji yuki haruto sota yuto akira daiki yui hina sakura aoi yuna haruka
minjun seojun jiho minseo seoyeon jiwoo soyeon jisoo
minh anh linh thanh hoa lan mai hung tuan dung
kwame kofi kwasi chinedu emeka oluwaseun tunde ngozi amara chioma adaeze thandiwe sipho themba
""".split())

SURNAMES = frozenset("""
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson thomas
taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson walker young allen king
wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez
phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez ortiz
morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez wood james bennett
gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry
russell sullivan bell coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson alexander
hamilton graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar stevens
murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas henry chen freeman
webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw snyder mason dixon munoz hunt
hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice schmidt garza daniels
ferguson nichols stephens soto weaver ryan gardner payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen
peters santos hart bradley knight elliott cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray
delgado berry perkins hoffman johnston matthews pena richards contreras willis carpenter lawrence sandoval
muller mueller schneider fischer weber becker schulz hoffmann koch richter klein wolf schroder neumann schwarz
zimmermann braun kruger hartmann lange werner krause lehmann
dubois durand leroy moreau simon laurent lefebvre michel bernard petit roux fournier girard bonnet dupont lambert
fontaine rousseau vincent blanc guerin muller henry faure andre mercier
rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti deluca mancini costa giordano
rizzo lombardi moretti barbieri fontana santoro mariani rinaldi caruso ferrara galli martini leone longo gentile
silva santos oliveira souza rodrigues ferreira alves pereira lima gomes costa ribeiro martins carvalho almeida lopes
soares fernandes vieira barbosa rocha dias nascimento andrade moreira nunes marques machado mendes freitas
devries jansen bakker visser smit meijer mulder bos vos peters hendriks vandijk dekker
ivanov smirnov kuznetsov popov vasiliev petrov sokolov mikhailov novikov fedorov morozov volkov alekseev lebedev
kowalski nowak wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski wozniak
khan ali ahmed hussain rahman hassan abdullah ibrahim mohamed mahmoud saleh yousef haddad nasser
sharma singh kumar gupta shah mehta jain reddy rao iyer nair das bose banerjee chatterjee mukherjee verma mishra
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang
sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato yoshida yamada sasaki matsumoto
kim lee park choi jung kang cho yoon jang lim han oh seo shin kwon hwang
nguyen tran le pham hoang phan vu dang bui do ho ngo duong ly
okafor okeke adeyemi mensah boateng owusu osei diallo traore keita kamara ndlovu dlamini mokoena
""".split())
